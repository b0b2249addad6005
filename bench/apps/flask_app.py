# The Flask app of bench/apps, served by gunicorn: each request does a little CPU work (hashing, as template
# rendering or JSON encoding would) and returns JSON, so worker counts against a CPU limit show in throughput.
import hashlib

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/")
def index():
    digest = b"bench"
    for _ in range(2000):
        digest = hashlib.sha256(digest).digest()
    return jsonify(digest=digest.hex())
