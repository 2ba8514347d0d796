package dev.sttbench.loadgen.stats;

import java.util.ArrayList;
import java.util.List;

/**
 * The SLO of PROTOCOL.md §4: newest-frame latency p50 ≤ 200 ms and p95 ≤ 350 ms, oldest-frame latency
 * p50 ≤ 1200 ms and p95 ≤ 1650 ms, errors / partials ≤ 1e-5 (errors = protocol errors + error frames +
 * every timeout; the ratio is 1 when no partial arrived), and at least one partial.
 */
public final class SloGates {
    public static final double NEWEST_P50_MS = 200;
    public static final double NEWEST_P95_MS = 350;
    public static final double OLDEST_P50_MS = 1200;
    public static final double OLDEST_P95_MS = 1650;
    public static final double MAX_ERRORS_RATIO = 1e-5;

    public enum Verdict { PASS, FAIL, INVALID }

    /** The verdict and the names of the gates that failed, in the order of the table. */
    public record Result(Verdict verdict, List<String> failedGates) {
    }

    private SloGates() {
    }

    public static double errorsRatio(long errors, long partials) {
        return partials == 0 ? 1.0 : (double) errors / partials;
    }

    /** A client-bound run is INVALID whatever the gates say: it measured the client, not the server. */
    public static Result evaluate(Percentiles newest, Percentiles oldest, long errors, long partials,
                                  boolean clientBound) {
        List<String> failed = new ArrayList<>();
        if (newest.p50Ms() > NEWEST_P50_MS) {
            failed.add("newest_p50");
        }
        if (newest.p95Ms() > NEWEST_P95_MS) {
            failed.add("newest_p95");
        }
        if (oldest.p50Ms() > OLDEST_P50_MS) {
            failed.add("oldest_p50");
        }
        if (oldest.p95Ms() > OLDEST_P95_MS) {
            failed.add("oldest_p95");
        }
        if (errorsRatio(errors, partials) > MAX_ERRORS_RATIO) {
            failed.add("errors_ratio");
        }
        if (partials == 0) {
            failed.add("no_partials");
        }
        Verdict verdict = clientBound ? Verdict.INVALID : failed.isEmpty() ? Verdict.PASS : Verdict.FAIL;
        return new Result(verdict, List.copyOf(failed));
    }
}
