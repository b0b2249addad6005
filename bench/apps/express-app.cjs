// The Express app of bench/apps: express-session with its default MemoryStore (what a quick start keeps), each
// new visitor gets a session holding 2 KiB of data, and every request renders a little JSON. Sessions are
// never reaped within the run, so memory grows with the load, as in an app left on the default store.
// Usage: node express-app.cjs PORT
const express = require('express');
const session = require('express-session');

const app = express();
app.use(session({ secret: 'bench', resave: false, saveUninitialized: true, cookie: { maxAge: 30 * 60 * 1000 } }));
app.get('/', (req, res) => {
  req.session.cart = req.session.cart ?? {
    items: Array.from({ length: 16 }, (_, i) => ({ sku: `item-${i}`, note: 'x'.repeat(100) })),
  };
  req.session.views = (req.session.views ?? 0) + 1;
  res.json({ views: req.session.views, items: req.session.cart.items.length, at: Date.now() });
});
app.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
