package io.zentinel.sentinel.lua.supervisor.it;

import java.util.ArrayList;
import java.util.List;

/**
 * A child process for the cgroup ITs, started with {@code java -cp <test classpath>}.
 * <ul>
 * <li>{@code spin}: prints {@code processors=<n>} (what the JVM made of its cgroup), then spins;</li>
 * <li>{@code tick}: prints a line after each slice of work, forever;</li>
 * <li>{@code alloc}: allocates and keeps 1 MiB arrays until something stops it.</li>
 * </ul>
 */
public final class CgroupChildMain {
    private CgroupChildMain() {
    }

    static volatile long sink;

    public static void main(String[] args) {
        switch (args[0]) {
            case "spin" -> {
                System.out.println("processors=" + Runtime.getRuntime().availableProcessors());
                System.out.flush();
                spin(Long.MAX_VALUE);
            }
            case "tick" -> {
                for (long n = 0; ; n++) {
                    spin(20_000_000);
                    System.out.println("tick " + n);
                    System.out.flush();
                }
            }
            case "alloc" -> {
                List<byte[]> kept = new ArrayList<>();
                for (int mib = 1; ; mib++) {
                    byte[] block = new byte[1024 * 1024];
                    for (int i = 0; i < block.length; i += 4096) {
                        block[i] = (byte) mib;
                    }
                    kept.add(block);
                    if (mib % 16 == 0) {
                        System.err.println("allocated " + mib + " MiB");
                    }
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void spin(long rounds) {
        long x = 0;
        for (long i = 0; i < rounds; i++) {
            x += i ^ (x >>> 3);
        }
        sink = x;
    }
}
