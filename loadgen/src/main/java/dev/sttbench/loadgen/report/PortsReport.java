package dev.sttbench.loadgen.report;

import static dev.sttbench.loadgen.report.MarkdownTable.number;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * {@code make compare-ports}' tables: the same ladder run on several gateways, side by side, each figure with its
 * ratio to the first gateway's (the baseline). A gateway's ladder lives in {@code OUT_DIR/<label>-ladder}.
 */
public final class PortsReport {
    static final String LADDER_SUFFIX = "-ladder";
    static final String INDEX_HEADER = """
            # make compare-ports: one row per run (scripts/compare-ports.sh appends)

            | run | confirmed ceiling, sessions per vCPU (÷ baseline) | CPU µs per frame at the top count each port and the baseline passed (÷ baseline) | peak RSS MiB there (÷ baseline) | report |
            |---|---|---|---|---|
            """;

    /** One gateway's ladder under its label. */
    public record Port(String label, Ladder ladder) {
        static Port read(Path outDir, String label) {
            return new Port(label, Ladder.read(outDir.resolve(label + LADDER_SUFFIX)));
        }

        String name() {
            String gateway = firstResult().env().get("gateway");
            return gateway == null || gateway.isEmpty() || gateway.equals(label) ? label : gateway + " (" + label + ")";
        }

        PointResult firstResult() {
            return ladder.runs().stream().map(Ladder.Run::result).filter(r -> r != null).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException(ladder.dir() + ": no run has results"));
        }

        double cpuLimit() {
            return firstResult().cpuLimit();
        }

        /** The first run at {@code sessions} that produced results. */
        Optional<Ladder.Run> firstRunAt(int sessions) {
            return ladder.runs().stream().filter(r -> r.sessions() == sessions && r.result() != null).findFirst();
        }

        /** The last passing run at the confirmed ceiling. */
        Optional<Ladder.Run> ceilingRun() {
            int confirmed = ladder.ceiling().confirmed();
            return ladder.runs().stream().filter(r -> r.sessions() == confirmed && r.passed())
                    .max(Comparator.comparingInt(Ladder.Run::attempt));
        }

        String invalidCounts() {
            int confirmed = ladder.ceiling().confirmed();
            return ladder.runs().stream().filter(r -> r.sessions() > confirmed && r.result() != null
                    && r.verdict().equals("INVALID")).map(r -> String.valueOf(r.sessions())).distinct()
                    .collect(Collectors.joining(", "));
        }
    }

    private PortsReport() {
    }

    public static List<Port> read(Path outDir, List<String> labels) {
        if (labels.size() < 2) {
            throw new IllegalArgumentException("need a baseline and at least one port to compare with it");
        }
        return labels.stream().map(label -> Port.read(outDir, label)).toList();
    }

    /** The ceiling table, then every count all ladders ran, then each gateway at its ceiling. */
    public static String render(List<Port> ports) {
        Port base = ports.getFirst();
        StringBuilder md = new StringBuilder("## Ceilings\n\n");
        MarkdownTable ceilings = new MarkdownTable("gateway", ">confirmed ceiling", ">sessions per vCPU",
                ">÷ " + base.label(), "bracketed (a higher count failed)", "borderline (one pass, one fail)",
                "client-bound above it");
        for (Port port : ports) {
            Ladder.Ceiling c = port.ladder().ceiling();
            ceilings.row(port.name(), c.confirmed() == 0 ? "none" : c.confirmed(),
                    c.confirmed() == 0 ? "n/a" : number(c.confirmed() / port.cpuLimit(), 0),
                    ratio(c.confirmed(), base.ladder().ceiling().confirmed()),
                    c.bracketed() ? "yes" : "no: a lower bound",
                    c.borderline().isEmpty() ? "" : c.borderline().stream().map(String::valueOf)
                            .collect(Collectors.joining(", ")),
                    port.invalidCounts());
        }
        md.append(ceilings.render()).append('\n');
        md.append("A confirmed ceiling passed twice (PROTOCOL.md §4); sessions per vCPU divide it by the gateway's CPU ")
                .append("quota. A ceiling that is not bracketed, or below which the load generator became the ")
                .append("bottleneck, is a lower bound of this machine, not of the gateway.\n\n");

        SortedSet<Integer> common = commonCounts(ports);
        md.append("## The same session counts\n\n");
        if (common.isEmpty()) {
            md.append("No session count produced results on every gateway.\n\n");
        } else {
            md.append("Each gateway's first run at each count its ladder and the baseline's both ran; ratios to ")
                    .append(base.name()).append(" at the same count.\n\n");
            MarkdownTable table = pointTable(base);
            for (int sessions : common) {
                Ladder.Run baseRun = base.firstRunAt(sessions).orElseThrow();
                for (Port port : ports) {
                    pointRow(table, sessions + "", port, port.firstRunAt(sessions).orElseThrow(), baseRun);
                }
            }
            md.append(table.render()).append('\n');
        }

        md.append("## Each at its confirmed ceiling\n\n");
        MarkdownTable atCeiling = pointTable(base);
        Optional<Ladder.Run> baseCeiling = base.ceilingRun();
        for (Port port : ports) {
            Optional<Ladder.Run> run = port.ceilingRun();
            if (run.isPresent()) {
                pointRow(atCeiling, String.valueOf(run.get().sessions()), port, run.get(), baseCeiling.orElse(null));
            }
        }
        md.append(atCeiling.render()).append('\n');
        md.append("CPU µs per frame: the gateway's CPU over the measured window ÷ the audio frames it received. ")
                .append("Peak RSS: the gateway's VmRSS peak over the run.\n");
        return md.toString();
    }

    /** The index row of one compare-ports run: ceilings, and each port's cost at the top count it and the baseline passed. */
    public static String indexRow(List<Port> ports, String run, String reportLink) {
        Port base = ports.getFirst();
        String ceilings = ports.stream().map(p -> {
            int confirmed = p.ladder().ceiling().confirmed();
            return p.label() + " " + (confirmed == 0 ? "none" : confirmed + ", "
                    + number(confirmed / p.cpuLimit(), 0) + "/vCPU" + (p == base ? "" : " ("
                    + ratio(confirmed, base.ladder().ceiling().confirmed()) + "×)"));
        }).collect(Collectors.joining("; "));
        List<String> cpu = new ArrayList<>();
        List<String> rss = new ArrayList<>();
        for (Port port : ports.subList(1, ports.size())) {
            Optional<Integer> top = commonCounts(List.of(base, port)).stream()
                    .filter(n -> base.firstRunAt(n).orElseThrow().passed() && port.firstRunAt(n).orElseThrow().passed())
                    .max(Integer::compare);
            cpu.add(top.map(n -> n + ": " + figures(base, port, n, PortsReport::microsPerFrame, 2))
                    .orElse(port.label() + ": no count both passed"));
            rss.add(top.map(n -> n + ": " + figures(base, port, n, p -> p.peakRssMib(PointResult.GATEWAY), 1))
                    .orElse(port.label() + ": no count both passed"));
        }
        return "| " + run + " | " + ceilings + " | " + String.join("; ", cpu) + " | " + String.join("; ", rss) + " | "
                + reportLink + " |\n";
    }

    public static void appendIndexRow(Path index, String row) throws IOException {
        if (!Files.exists(index) || Files.size(index) == 0) {
            Files.writeString(index, INDEX_HEADER);
        }
        Files.writeString(index, row, StandardOpenOption.APPEND);
    }

    private static String figures(Port base, Port port, int sessions, ToDoubleFunction<PointResult> figure,
                                  int decimals) {
        double baseValue = figure.applyAsDouble(base.firstRunAt(sessions).orElseThrow().result());
        double value = figure.applyAsDouble(port.firstRunAt(sessions).orElseThrow().result());
        return base.label() + " " + number(baseValue, decimals) + ", " + port.label() + " " + number(value, decimals)
                + " (" + ratio(value, baseValue) + "×)";
    }

    private static SortedSet<Integer> commonCounts(List<Port> ports) {
        SortedSet<Integer> common = new TreeSet<>(ports.getFirst().ladder().resultsBySessions().keySet());
        for (Port port : ports) {
            common.retainAll(port.ladder().resultsBySessions().keySet());
        }
        return common;
    }

    private static MarkdownTable pointTable(Port base) {
        return new MarkdownTable(">sessions", "gateway", "run", "verdict", ">newest p50 / p95 ms",
                ">oldest p50 / p95 ms", ">errors", ">CPU µs per frame", ">÷ " + base.label(), ">gateway CPU mean %",
                ">peak RSS MiB", ">÷ " + base.label(), ">loadgen CPU mean %", "client bound");
    }

    private static void pointRow(MarkdownTable table, String sessions, Port port, Ladder.Run run, Ladder.Run baseRun) {
        PointResult p = run.result();
        Summary s = p.summary();
        double cpu = microsPerFrame(p);
        double rss = p.peakRssMib(PointResult.GATEWAY);
        table.row(sessions, port.name(), run.attempt(), run.verdict(),
                number(s.newestLatency().p50(), 0) + " / " + number(s.newestLatency().p95(), 0),
                number(s.oldestLatency().p50(), 0) + " / " + number(s.oldestLatency().p95(), 0), s.errors(),
                number(cpu, 2), baseRun == null ? "n/a" : ratio(cpu, microsPerFrame(baseRun.result())),
                number(p.meanCpuPct(PointResult.GATEWAY), 1), number(rss, 1),
                baseRun == null ? "n/a" : ratio(rss, baseRun.result().peakRssMib(PointResult.GATEWAY)),
                number(p.meanCpuPct(PointResult.LOADGEN), 1), s.clientBound() ? "yes" : "no");
    }

    private static double microsPerFrame(PointResult p) {
        PointResult.GatewayCost cost = p.gatewayCost();
        return cost == null ? Double.NaN : cost.microsPerFrame();
    }

    private static String ratio(double value, double base) {
        return base == 0 || !Double.isFinite(base) || !Double.isFinite(value) ? "n/a" : number(value / base, 2);
    }
}
