// Workload (b) for bench/oom-matrix: a live set of LIVE_MIB MiB in 256 KiB arrays (below G1's humongous size),
// then heavy garbage for SECONDS: short-lived 64 KiB arrays (young generation) and live chunks replaced at
// random (old generation garbage).
// Prints "held N" while building the live set and "survived" when the time is up.
import java.util.ArrayList;
import java.util.Random;

public class Churn {
  static byte[] chunk(int size) {
    byte[] b = new byte[size];
    for (int i = 0; i < size; i += 4096) b[i] = 1;
    return b;
  }

  public static void main(String[] args) {
    int live = Integer.parseInt(args[0]);
    long end = System.nanoTime() + Long.parseLong(args[1]) * 1_000_000_000L;
    ArrayList<byte[]> held = new ArrayList<>();
    for (int mib = 1; mib <= live; mib++) {
      for (int quarter = 0; quarter < 4; quarter++) held.add(chunk(1 << 18));
      if (mib % 4 == 0 || mib == live) System.out.println("held " + mib);
    }
    Random random = new Random(1);
    long sink = 0;
    while (System.nanoTime() < end) {
      for (int i = 0; i < 64; i++) sink += chunk(64 << 10).length;
      for (int i = 0; i < 4; i++) held.set(random.nextInt(held.size()), chunk(1 << 18));
    }
    System.out.println("survived " + (sink > 0 ? "" : "?"));
  }
}
