package dev.sttbench.loadgen.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The scripts' entry point into this package ({@code java -cp loadgen.jar dev.sttbench.loadgen.report.ReportMain}):
 * <ul>
 *   <li>{@code report POINT_DIR}: writes POINT_DIR/report.md</li>
 *   <li>{@code ladder-report LADDER_DIR LABEL}: writes LADDER_DIR/report.md, prints the ceiling sentence</li>
 *   <li>{@code plot --ladder LADDER_DIR}: {@link PlotCommand}</li>
 *   <li>{@code compare A B}: {@link CompareCommand}</li>
 *   <li>{@code ports-report OUT_DIR BASELINE LABEL... [--index FILE --run TEXT]}: prints {@link PortsReport}'s
 *       tables for the ladders OUT_DIR/LABEL-ladder, the first the baseline; with {@code --index}, appends the
 *       run's row (labelled TEXT, linking OUT_DIR/report.md) to FILE</li>
 *   <li>{@code density RUN_DIR [--table FILE]}: writes RUN_DIR/report.md and density.png, appends the run's row to
 *       FILE (created with its header when missing), prints the verdict line and exits with the density gate's
 *       code ({@link DensityVerdict}: 0 pass, 2 over the RSS budget, 3 session errors); 1 when the run's files
 *       cannot be read, 4 on a wrong command line (2 and 3 are verdicts here)</li>
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
            case "ports-report" -> portsReport(rest, out, err);
            case "density" -> density(rest, out, err);
            default -> {
                err.println("usage: ReportMain report POINT_DIR | cost POINT_DIR | ladder-report LADDER_DIR LABEL"
                        + " | plot --ladder LADDER_DIR | compare A B | " + PORTS_USAGE + " | density RUN_DIR [--table FILE]");
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

    /** Exit code of {@code density} for a wrong command line: 2 and 3 are the gate's verdicts. */
    static final int DENSITY_USAGE = 4;

    private static int density(String[] args, PrintStream out, PrintStream err) {
        if (!(args.length == 1 || args.length == 3 && args[1].equals("--table"))) {
            err.println("usage: density RUN_DIR [--table FILE]");
            return DENSITY_USAGE;
        }
        try {
            DensityRun run = DensityRun.read(Path.of(args[0]));
            DensityVerdict verdict = DensityVerdict.of(run);
            Files.writeString(run.dir().resolve(DensityReport.FILE_NAME), DensityReport.render(run, verdict));
            DensityPlot.write(run);
            if (args.length == 3) {
                DensityReport.appendRow(Path.of(args[2]), run, verdict);
            }
            out.println(DensityReport.verdictLine(run, verdict));
            return verdict.exitCode();
        } catch (IOException | RuntimeException e) {
            err.println("density: " + e.getMessage());
            return 1;
        }
    }

    private static final String PORTS_USAGE = "ports-report OUT_DIR BASELINE LABEL... [--index FILE --run TEXT]";

    private static int portsReport(String[] args, PrintStream out, PrintStream err) {
        List<String> labels = new ArrayList<>(Arrays.asList(args));
        Path index = null;
        String run = null;
        int option = labels.indexOf("--index");
        if (option >= 0 && labels.size() == option + 4 && labels.get(option + 2).equals("--run")) {
            index = Path.of(labels.get(option + 1));
            run = labels.get(option + 3);
            labels = labels.subList(0, option);
        }
        if (labels.size() < 3 || labels.stream().anyMatch(l -> l.startsWith("--"))) {
            err.println("usage: " + PORTS_USAGE);
            return 2;
        }
        try {
            Path outDir = Path.of(labels.getFirst());
            List<PortsReport.Port> ports = PortsReport.read(outDir, labels.subList(1, labels.size()));
            out.print(PortsReport.render(ports));
            if (index != null) {
                Path report = outDir.toAbsolutePath().resolve(PointReport.FILE_NAME);
                Path from = index.toAbsolutePath().getParent();
                String link = "[" + outDir.toAbsolutePath().getFileName() + "](" + from.relativize(report) + ")";
                PortsReport.appendIndexRow(index, PortsReport.indexRow(ports, run, link));
            }
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("ports-report: " + e.getMessage());
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
