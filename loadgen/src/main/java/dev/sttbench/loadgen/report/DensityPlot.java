package dev.sttbench.loadgen.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@value #FILE_NAME} of a density run: the gateway's RSS (MiB, left axis) and its session gauge (right axis)
 * each second, from the loadgen's start; dashed: the idle baseline and the RSS budget; dotted: the end of the
 * open phase and of the hold. Drawn with the ladder plots' style ({@link PlotCommand}).
 */
public final class DensityPlot {
    public static final String FILE_NAME = "density.png";
    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;
    private static final Color RSS = new Color(0xd62728);
    private static final Color SESSIONS = new Color(0x1f77b4);
    private static final Color MARK = new Color(0x7f7f7f);
    private static final BasicStroke DOTTED =
            new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {2f, 3f}, 0f);

    private DensityPlot() {
    }

    /** Writes the chart into the run's directory and returns its path. */
    public static Path write(DensityRun run) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Path file = run.dir().resolve(FILE_NAME);
        BitmapEncoder.saveBitmap(chart(run), file.toString(), BitmapFormat.PNG);
        return file;
    }

    static XYChart chart(DensityRun run) {
        DensitySummary lg = run.loadgen();
        long t0 = lg.startedEpochMs();
        ProcSeries gateway = run.process(PointResult.GATEWAY);
        List<Double> x = new ArrayList<>();
        List<Double> rss = new ArrayList<>();
        List<Double> sx = new ArrayList<>();
        List<Double> sessions = new ArrayList<>();
        for (ProcSeries.Sample s : gateway.samples()) {
            double t = (s.epochMs() - t0) / 1000.0;
            x.add(t);
            rss.add(DensityRun.mib(s.rssKb()));
            if (run.sessions().has(s.epochMs())) {
                sx.add(t);
                sessions.add(run.sessions().at(s.epochMs()));
            }
        }
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Gateway RSS and sessions, " + lg.opened() + " of " + lg.connectionsRequested() + " connections opened")
                .xAxisTitle("seconds since the loadgen started (dotted: open done, hold done; dashed: idle baseline, budget)")
                .yAxisTitle("RSS (MiB)").build();
        PlotCommand.style(chart);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        if (x.isEmpty()) {
            return chart;
        }
        series(chart, "gateway RSS (MiB)", x, rss, RSS);
        double[] span = {x.getFirst(), x.getLast()};
        PlotCommand.threshold(chart, "baseline", span, DensityRun.mib(run.baselineRssKb()), RSS);
        double budget = run.rssBudgetMib();
        if (Double.isFinite(budget)) {
            PlotCommand.threshold(chart, "budget", span, budget, MARK);
        }
        double top = Math.max(rss.stream().mapToDouble(Double::doubleValue).max().orElse(0),
                Double.isFinite(budget) ? budget : 0);
        mark(chart, "open done", (lg.openDoneEpochMs() - t0) / 1000.0, top);
        mark(chart, "hold done", (lg.holdDoneEpochMs() - t0) / 1000.0, top);
        chart.getStyler().setYAxisMin(0, 0.0);
        if (!sx.isEmpty()) {
            XYSeries s = series(chart, "gateway sessions (right)", sx, sessions, SESSIONS);
            s.setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, "sessions");
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
            chart.getStyler().setYAxisMin(1, 0.0);
        }
        return chart;
    }

    private static XYSeries series(XYChart chart, String name, List<Double> x, List<Double> y, Color color) {
        XYSeries series = chart.addSeries(name, x, y);
        series.setLineColor(color);
        series.setMarker(SeriesMarkers.NONE);
        return series;
    }

    private static void mark(XYChart chart, String name, double t, double top) {
        XYSeries series = chart.addSeries(name, new double[] {t, t}, new double[] {0, top});
        series.setLineColor(MARK);
        series.setLineStyle(DOTTED);
        series.setMarker(SeriesMarkers.NONE);
        series.setShowInLegend(false);
    }
}
