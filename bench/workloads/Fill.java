// Workload (a) for bench/oom-matrix: keep 256 KiB arrays until the JVM runs out of heap. Prints "held N" (MiB
// retained) every 4 MiB, so the last line says how much heap the program got before it stopped. (256 KiB, not
// 1 MiB: G1 stores an array of half a region or more as a humongous object, wasting up to half the heap.)
import java.util.ArrayList;

public class Fill {
  public static void main(String[] args) {
    ArrayList<byte[]> held = new ArrayList<>();
    for (int mib = 1; ; mib++) {
      for (int quarter = 0; quarter < 4; quarter++) {
        byte[] chunk = new byte[1 << 18];
        for (int i = 0; i < chunk.length; i += 4096) chunk[i] = 1;
        held.add(chunk);
      }
      if (mib % 4 == 0) System.out.println("held " + mib);
    }
  }
}
