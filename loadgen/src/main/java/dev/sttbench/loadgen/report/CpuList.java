package dev.sttbench.loadgen.report;

/** A taskset CPU list such as {@code 0}, {@code 2-3} or {@code 0,2-5}. */
public final class CpuList {
    private CpuList() {
    }

    /** "CPU 0-1", or "unpinned" for an empty list. */
    public static String describe(String list) {
        return list.isEmpty() ? "unpinned" : "CPU " + list;
    }

    /** How many CPUs the list names. */
    public static int count(String list) {
        int count = 0;
        for (String part : list.split(",")) {
            String range = part.trim();
            int dash = range.indexOf('-');
            try {
                if (dash < 0) {
                    Integer.parseInt(range);
                    count++;
                } else {
                    int from = Integer.parseInt(range.substring(0, dash));
                    int to = Integer.parseInt(range.substring(dash + 1));
                    if (to < from) {
                        throw new IllegalArgumentException("CPU range " + range + " runs backwards");
                    }
                    count += to - from + 1;
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a CPU list: " + list, e);
            }
        }
        return count;
    }
}
