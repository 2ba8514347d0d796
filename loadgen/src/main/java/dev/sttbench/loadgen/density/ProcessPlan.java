package dev.sttbench.loadgen.density;

/**
 * How many processes a run needs: each connection is one file descriptor, and one process may hold only
 * its RLIMIT_NOFILE of them, less a margin for the JVM's own (jars, the selector, pipes).
 */
record ProcessPlan(int processes, String why) {
    /** Descriptors kept free for the JVM itself. */
    static final int SPARE_DESCRIPTORS = 64;

    /**
     * @param requested     {@link DensityOptions#AUTO_PROCESSES} or the {@code --processes} given
     * @param openFilesLimit the soft RLIMIT_NOFILE, {@link ProcSelf#UNKNOWN} if it could not be read
     */
    static ProcessPlan of(int connections, int requested, long openFilesLimit) {
        long perProcess = openFilesLimit == ProcSelf.UNKNOWN ? Long.MAX_VALUE : openFilesLimit - SPARE_DESCRIPTORS;
        String limit = openFilesLimit == ProcSelf.UNKNOWN ? "an unknown open-files limit"
                : "an open-files limit of " + openFilesLimit;
        if (requested != DensityOptions.AUTO_PROCESSES) {
            // More processes than connections would only start idle JVMs.
            int processes = Math.min(requested, connections);
            int share = Math.ceilDiv(connections, processes);
            String why = "--processes " + requested + ": " + processes + " process" + (processes == 1 ? "" : "es")
                    + " of up to " + share + " connections, with " + limit;
            if (share > perProcess) {
                why += "; warning: more than the " + Math.max(0, perProcess) + " sockets it leaves (" + SPARE_DESCRIPTORS
                        + " kept for the JVM): expect local_address failures";
            }
            return new ProcessPlan(processes, why);
        }
        if (perProcess < 1) {
            return new ProcessPlan(1, limit + " leaves no socket beside the " + SPARE_DESCRIPTORS
                    + " descriptors kept for the JVM: expect local_address failures");
        }
        if (connections <= perProcess) {
            return new ProcessPlan(1, connections + " connections + " + SPARE_DESCRIPTORS + " spare descriptors fit in "
                    + limit);
        }
        int processes = (int) Math.ceilDiv(connections, perProcess);
        return new ProcessPlan(processes, connections + " connections exceed the " + perProcess + " sockets one process"
                + " may hold (" + limit + " less " + SPARE_DESCRIPTORS + " for the JVM): " + processes
                + " child processes");
    }
}
