package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * The scripts' entry point into this package ({@code java -cp loadgen.jar dev.sttbench.loadgen.report.ReportMain}):
 * <ul>
 *   <li>{@code report POINT_DIR}: writes POINT_DIR/report.md</li>
 *   <li>{@code ladder-report LADDER_DIR LABEL}: writes LADDER_DIR/report.md, prints the ceiling sentence</li>
 *   <li>{@code plot --ladder LADDER_DIR}: {@link PlotCommand}</li>
 *   <li>{@code compare A B}: {@link CompareCommand}</li>
 * </ul>
 */
public final class ReportMain {
    private ReportMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        String command = args.length == 0 ? "" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        return switch (command) {
            case "report" -> report(rest, out, err);
            case "cost" -> cost(rest, out, err);
            case "ladder-report" -> ladderReport(rest, out, err);
            case "plot" -> PlotCommand.run(rest, out, err);
            case "compare" -> CompareCommand.run(rest, out, err);
            default -> {
                err.println("usage: ReportMain report POINT_DIR | cost POINT_DIR | ladder-report LADDER_DIR LABEL"
                        + " | plot --ladder LADDER_DIR | compare A B");
                yield 2;
            }
        };
    }

    private static int report(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 1) {
            err.println("usage: report POINT_DIR");
            return 2;
        }
        try {
            Path dir = Path.of(args[0]);
            Path file = dir.resolve(PointReport.FILE_NAME);
            Files.writeString(file, PointReport.render(PointResult.read(dir)));
            out.println(file);
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("report: " + e.getMessage());
            return 1;
        }
    }

    /**
     * The gateway's CPU over a point's measured window, as its report computes it, for scripts: "µs-per-frame
     * frames seconds" on one line, or nothing when the gateway's frame counter was not sampled.
     */
    private static int cost(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 1) {
            err.println("usage: cost POINT_DIR");
            return 2;
        }
        try {
            PointResult.GatewayCost cost = PointResult.read(Path.of(args[0])).gatewayCost();
            if (cost != null && cost.framesMeasured()) {
                out.printf(Locale.ROOT, "%.3f %.0f %.1f%n", cost.microsPerFrame(), cost.frames(),
                        cost.elapsedMs() / 1000.0);
            }
            return 0;
        } catch (RuntimeException e) {
            err.println("cost: " + e.getMessage());
            return 1;
        }
    }

    private static int ladderReport(String[] args, PrintStream out, PrintStream err) {
        if (args.length != 2) {
            err.println("usage: ladder-report LADDER_DIR LABEL");
            return 2;
        }
        try {
            Ladder ladder = Ladder.read(Path.of(args[0]));
            Files.writeString(ladder.dir().resolve(PointReport.FILE_NAME), LadderReport.render(ladder, args[1]));
            double limit = ladder.runs().stream().map(Ladder.Run::result).filter(r -> r != null)
                    .mapToDouble(PointResult::cpuLimit).findFirst().orElse(Double.NaN);
            out.println(LadderReport.ceilingSentence(ladder.ceiling(), limit).replace("**", ""));
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("ladder-report: " + e.getMessage());
            return 1;
        }
    }
}
