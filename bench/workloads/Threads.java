// Probe for bench/non-heap: start N threads that each recurse a little (as a request handler does) and then
// sleep, so what a JVM thread costs the cgroup can be read as (anon with N threads - anon with 0) / N.
// Prints "ready" once all are parked.
import java.util.concurrent.CountDownLatch;

public class Threads {
  static int depth(int n) {
    byte[] frame = new byte[64];
    return n == 0 ? frame.length : depth(n - 1) + frame[0];
  }

  public static void main(String[] args) throws Exception {
    int count = Integer.parseInt(args[0]);
    CountDownLatch started = new CountDownLatch(count);
    for (int i = 0; i < count; i++) {
      Thread thread = new Thread(() -> {
        depth(200);
        started.countDown();
        try {
          Thread.sleep(600_000);
        } catch (InterruptedException e) {
          return;
        }
      });
      thread.setDaemon(true);
      thread.start();
    }
    started.await();
    System.out.println("ready");
    Thread.sleep(600_000);
  }
}
