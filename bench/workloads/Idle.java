// Probe for bench/non-heap: a JVM that loads a little (collections, string formatting, a lambda), prints "ready",
// sleeps SECONDS so its resident memory outside the heap can be read from the cgroup, and exits normally (so
// -XX:+PrintNMTStatistics prints its native memory summary).
import java.util.HashMap;

public class Idle {
  public static void main(String[] args) throws Exception {
    HashMap<String, Integer> map = new HashMap<>();
    for (int i = 0; i < 10_000; i++) map.put(String.format("key-%d", i), i);
    map.forEach((k, v) -> {});
    System.out.println("ready " + map.size());
    Thread.sleep(Long.parseLong(args[0]) * 1000);
  }
}
