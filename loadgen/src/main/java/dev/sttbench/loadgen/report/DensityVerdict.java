package dev.sttbench.loadgen.report;

import static dev.sttbench.loadgen.report.MarkdownTable.number;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The density gate: exit {@value #PASS} when every connection opened, stayed alive and closed cleanly within the
 * RSS budget; {@value #OVER_BUDGET} when the gateway's peak RSS exceeded RSS_BUDGET_MB; {@value #SESSION_ERRORS}
 * on any session error: the loadgen exited non-zero, counted a failure, opened fewer connections than it was asked
 * for, saw an error frame or a dead connection; the streaming sessions (if any) missed their SLO; or the gateway
 * exited during the run.
 *
 * <p><b>Session errors take precedence over the budget (3 over 2).</b> A run with session errors did not hold
 * what was asked: the gateway held fewer connections (a budget met is then met by a smaller load, so it proves
 * nothing) or lost some (its RSS may stand for a gateway in trouble). The budget is only a valid question about a
 * run that held every connection, so 2 always means "the run was clean and too big"; fix 3 first. Both lists are
 * kept, and the report states every reason.
 *
 * @param sessionErrors why the run had session errors, one phrase each; empty when it had none
 * @param budgetErrors  why the budget failed; empty when it held or none was set
 */
public record DensityVerdict(List<String> sessionErrors, List<String> budgetErrors) {
    public static final int PASS = 0;
    public static final int OVER_BUDGET = 2;
    public static final int SESSION_ERRORS = 3;

    public DensityVerdict {
        sessionErrors = List.copyOf(sessionErrors);
        budgetErrors = List.copyOf(budgetErrors);
    }

    public static DensityVerdict of(DensityRun run) {
        DensitySummary loadgen = run.loadgen();
        List<String> errors = new ArrayList<>();
        long exit = run.env().getLong("loadgen_exit", 0);
        if (exit != 0) {
            errors.add("loadgen density exited " + exit);
        }
        if (loadgen.failuresTotal() > 0) {
            StringJoiner causes = new StringJoiner(", ", " (", ")");
            loadgen.failures().forEach((cause, n) -> {
                if (n > 0) {
                    causes.add(cause + " " + n);
                }
            });
            errors.add(loadgen.failuresTotal() + " connection failures" + causes);
        }
        if (loadgen.opened() < loadgen.connectionsRequested()) {
            errors.add("opened " + loadgen.opened() + " of " + loadgen.connectionsRequested() + " connections");
        }
        DensitySummary.Liveness liveness = loadgen.liveness();
        if (liveness.alive() < liveness.checked()) {
            errors.add((liveness.checked() - liveness.alive()) + " of " + liveness.checked()
                    + " connections did not answer the final ping");
        }
        if (loadgen.frames().errorFrames() > 0) {
            errors.add(loadgen.frames().errorFrames() + " error frames");
        }
        if (run.env().getLong("gateway_alive_at_end", 1) == 0) {
            errors.add("the gateway exited during the run");
        }
        if (run.streamingSessions() > 0) {
            Summary streaming = run.streaming();
            if (streaming == null) {
                errors.add("the " + run.streamingSessions() + " streaming sessions wrote no summary (loadgen run exited "
                        + run.env().get("streaming_exit") + ")");
            } else if (!streaming.verdict().equals("PASS")) {
                errors.add("streaming sessions: SLO " + streaming.verdict()
                        + (streaming.failedGates().isEmpty() ? "" : " (" + String.join(", ", streaming.failedGates()) + ")"));
            }
        }
        List<String> budget = new ArrayList<>();
        double budgetMib = run.rssBudgetMib();
        double peakMib = DensityRun.mib(run.peakRssKb());
        if (Double.isFinite(budgetMib) && peakMib > budgetMib) {
            budget.add("peak RSS " + number(peakMib, 1) + " MiB over the budget of " + number(budgetMib, 0) + " MiB");
        }
        return new DensityVerdict(errors, budget);
    }

    /** 0, 2 or 3: session errors first (see the class comment). */
    public int exitCode() {
        if (!sessionErrors.isEmpty()) {
            return SESSION_ERRORS;
        }
        return budgetErrors.isEmpty() ? PASS : OVER_BUDGET;
    }

    /** PASS, FAIL (session errors) or OVER BUDGET. */
    public String word() {
        return switch (exitCode()) {
            case PASS -> "PASS";
            case OVER_BUDGET -> "OVER BUDGET";
            default -> "FAIL";
        };
    }

    /** Every reason, session errors first; empty on a pass. */
    public List<String> reasons() {
        List<String> all = new ArrayList<>(sessionErrors);
        all.addAll(budgetErrors);
        return all;
    }
}
