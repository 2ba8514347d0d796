package dev.sttbench.loadgen.report;

import static dev.sttbench.loadgen.report.MarkdownTable.number;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.ToDoubleFunction;

/**
 * {@code compare A B}: two results side by side with the ratio B / A. A and B are point directories
 * (or their report.md), or ladder directories: a ladder is compared by its ceiling and by its top
 * confirmed point (else its top passing point, else its largest).
 */
public final class CompareCommand {
    private CompareCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 2 || args[0].isEmpty() || args[1].isEmpty()) {
            err.println("usage: compare <results-dir-A> <results-dir-B>   (make compare A=results/x B=results/y)");
            return 2;
        }
        try {
            Side a = Side.of(Path.of(args[0]));
            Side b = Side.of(Path.of(args[1]));
            out.print(render(a, b));
            return 0;
        } catch (RuntimeException e) {
            err.println("compare: " + e.getMessage());
            return 1;
        }
    }

    /** One side: a point, plus its ladder's ceiling when it came from a ladder. */
    record Side(Path dir, PointResult point, Ladder.Ceiling ceiling) {
        static Side of(Path given) {
            Path dir = given.getFileName() != null && given.getFileName().toString().equals(PointReport.FILE_NAME)
                    ? given.toAbsolutePath().getParent() : given;
            if (Files.exists(dir.resolve(Ladder.INDEX_FILE))) {
                Ladder ladder = Ladder.read(dir);
                Ladder.Ceiling ceiling = ladder.ceiling();
                Ladder.Run top = ladder.runs().stream().filter(r -> r.result() != null)
                        .max(Comparator.comparingInt((Ladder.Run r) -> r.sessions() == ceiling.confirmed() && r.passed() ? 2
                                        : r.passed() ? 1 : 0)
                                .thenComparingInt(Ladder.Run::sessions).thenComparingInt(Ladder.Run::attempt))
                        .orElseThrow(() -> new IllegalArgumentException(dir + ": no run has results"));
                return new Side(dir, top.result(), ceiling);
            }
            return new Side(dir, PointResult.read(dir), null);
        }
    }

    static String render(Side a, Side b) {
        MarkdownTable t = new MarkdownTable("", "A", "B", ">B / A");
        t.row("results", a.dir(), b.dir(), "");
        t.row("label", a.point().env().get("label"), b.point().env().get("label"), "");
        t.row("gateway", a.point().env().get("gateway"), b.point().env().get("gateway"), "");
        if (a.ceiling() != null && b.ceiling() != null) {
            row(t, "confirmed ceiling (sessions)", a.ceiling().confirmed(), b.ceiling().confirmed(), 0);
            row(t, "ceiling per vCPU", a.ceiling().confirmed() / a.point().cpuLimit(),
                    b.ceiling().confirmed() / b.point().cpuLimit(), 0);
        }
        row(t, "sessions", a, b, p -> p.summary().sessions(), 0);
        t.row("verdict", a.point().summary().verdict(), b.point().summary().verdict(), "");
        row(t, "gateway CPU limit (vCPU)", a, b, PointResult::cpuLimit, 2);
        row(t, "newest p50 ms", a, b, p -> p.summary().newestLatency().p50(), 1);
        row(t, "newest p95 ms", a, b, p -> p.summary().newestLatency().p95(), 1);
        row(t, "newest p99 ms", a, b, p -> p.summary().newestLatency().p99(), 1);
        row(t, "oldest p50 ms", a, b, p -> p.summary().oldestLatency().p50(), 1);
        row(t, "oldest p95 ms", a, b, p -> p.summary().oldestLatency().p95(), 1);
        row(t, "oldest p99 ms", a, b, p -> p.summary().oldestLatency().p99(), 1);
        row(t, "flush lateness p99 ms", a, b, p -> p.summary().flushLateness().p99(), 1);
        row(t, "partials", a, b, p -> p.summary().partials(), 0);
        row(t, "errors", a, b, p -> p.summary().errors(), 0);
        row(t, "gateway peak RSS MiB", a, b, p -> p.peakRssMib(PointResult.GATEWAY), 1);
        row(t, "gateway CPU mean %", a, b, p -> p.meanCpuPct(PointResult.GATEWAY), 1);
        row(t, "gateway CPU max %", a, b, p -> p.maxCpuPct(PointResult.GATEWAY), 1);
        row(t, "gateway CPU µs / frame", a, b, p -> cost(p, PointResult.GatewayCost::microsPerFrame), 2);
        row(t, "projected sessions / vCPU", a, b, p -> cost(p, PointResult.GatewayCost::projectedSessionsPerVcpu), 0);
        row(t, "loadgen CPU mean %", a, b, p -> p.meanCpuPct(PointResult.LOADGEN), 1);
        row(t, "client send lag p99 ms", a, b, p -> p.summary().sendLag().p99(), 1);
        t.row("client bound", a.point().summary().clientBound(), b.point().summary().clientBound(), "");
        return t.render();
    }

    private static double cost(PointResult p, ToDoubleFunction<PointResult.GatewayCost> figure) {
        PointResult.GatewayCost cost = p.gatewayCost();
        return cost == null ? Double.NaN : figure.applyAsDouble(cost);
    }

    private static void row(MarkdownTable t, String name, Side a, Side b, ToDoubleFunction<PointResult> figure,
                            int decimals) {
        row(t, name, figure.applyAsDouble(a.point()), figure.applyAsDouble(b.point()), decimals);
    }

    private static void row(MarkdownTable t, String name, double a, double b, int decimals) {
        t.row(name, number(a, decimals), number(b, decimals), a == 0 ? "n/a" : number(b / a, 2));
    }
}
