package dev.sttbench.loadgen.report;

import static dev.sttbench.loadgen.report.MarkdownTable.number;

/**
 * What a {@code POD=1} run adds to {@code report.md}: each pod's address, cpuset, limits, its memory cgroup's
 * peak and usage at the end of the load, and any OOM kill. Reads the {@code pod_*} keys bench.sh records
 * (scripts/lib.sh, "POD=1"); a run without them has no such section.
 */
final class PodSection {
    private static final double MIB = 1048576.0;
    private static final String[][] PODS = {{"gateway", "gateway"}, {"sim", "inference-sim"}};

    private PodSection() {
    }

    static boolean present(RunEnv env) {
        return env.has("pod_network");
    }

    /** A bold paragraph per pod whose memory cgroup saw an OOM kill; "" when none did. */
    static String oomParagraphs(RunEnv env) {
        StringBuilder out = new StringBuilder();
        for (String[] pod : PODS) {
            String key = "pod_" + pod[0] + "_";
            long kills = env.getLong(key + "memory_oom_kill", 0);
            if (kills > 0) {
                out.append("**OOM: the kernel killed the ").append(pod[1]).append("** under its pod's ")
                        .append(env.get(key + "memory_limit_mb")).append(" MiB memory limit (memory.oom_control oom_kill ")
                        .append(kills).append(", memory.failcnt ").append(env.get(key + "memory_failcnt"))
                        .append(", peak ").append(mib(env, key + "memory_peak_bytes")).append(" MiB, exit status ")
                        .append(exit(env.get(key + "exit"))).append("): what follows measures a run in which it died.\n\n");
            }
        }
        return out.toString();
    }

    static String render(RunEnv env) {
        StringBuilder md = new StringBuilder("Each server ran as a pod: its own network namespace on a veth pair to ")
                .append(env.get("pod_network")).append(", and its own cgroup v1 (cpu, cpuset, memory; memsw = the ")
                .append("memory limit, so no swap). Health checks and `/metrics` scrapes went from the root namespace ")
                .append("to the pod addresses.\n\n");
        MarkdownTable t = new MarkdownTable("pod", "address", "cpuset", "memory limit", ">peak (max_usage)",
                ">usage at end of load", "rss / page cache / kernel at end", ">failcnt", ">OOM kills", "exit");
        for (String[] pod : PODS) {
            String key = "pod_" + pod[0] + "_";
            boolean limited = env.has(key + "memory_limit_bytes");
            t.row(pod[1], env.get(key + "address"), cpus(env.get(key + "cpuset")),
                    limited ? env.get(key + "memory_limit_mb") + " MiB" : "none",
                    limited ? mib(env, key + "memory_peak_bytes") + " MiB" : "n/a",
                    limited ? mib(env, key + "memory_usage_bytes") + " MiB" : "n/a",
                    limited ? mib(env, key + "memory_rss_bytes") + " / " + mib(env, key + "memory_cache_bytes") + " / "
                            + mib(env, key + "memory_kernel_bytes") + " MiB" : "n/a",
                    limited ? env.get(key + "memory_failcnt") : "n/a", limited ? env.get(key + "memory_oom_kill") : "n/a",
                    exit(env.get(key + "exit")));
        }
        t.row("loadgen", env.get("pod_loadgen_address"), "taskset " + cpus(env.get("loadgen_cpus")), "none", "n/a",
                "n/a", "n/a", "n/a", "n/a", "");
        md.append(t.render()).append('\n');
        md.append("Peak and usage are the memory cgroup's (`memory.max_usage_in_bytes`, `memory.usage_in_bytes`): ")
                .append("anonymous memory, page cache first read by the pod and kernel memory, against which the ")
                .append("limit is enforced. The gateway's RSS above is VmRSS: it also counts file pages mapped from ")
                .append("the page cache that another cgroup read first (the JDK's `libjvm.so`, CDS archive, `modules`), ")
                .append("and neither counts TCP socket buffers (cgroup v1 charges them only under a ")
                .append("`memory.kmem.tcp` limit, which the kubelet does not set).\n");
        return md.toString();
    }

    private static String mib(RunEnv env, String key) {
        return number(env.getLong(key, 0) / MIB, 1);
    }

    private static String cpus(String list) {
        return list.isEmpty() ? "any" : list;
    }

    private static String exit(String status) {
        return switch (status) {
            case "" -> "n/a";
            case "running" -> "running at the end of the load";
            case "137" -> "137 (SIGKILL)";
            default -> status;
        };
    }
}
