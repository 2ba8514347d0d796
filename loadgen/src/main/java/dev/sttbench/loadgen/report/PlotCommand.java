package dev.sttbench.loadgen.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * {@code plot --ladder DIR}: draws a ladder's PNGs into DIR: {@value #LATENCY_PNG} (newest- and
 * oldest-frame p50/p95 versus sessions, with the SLO thresholds) and {@value #GATEWAY_PNG} (the
 * gateway's mean and max CPU over the measured window and its peak RSS versus sessions). A session
 * count run more than once is drawn at the mean of its runs.
 */
public final class PlotCommand {
    public static final String LATENCY_PNG = "latency.png";
    public static final String GATEWAY_PNG = "gateway.png";
    private static final String USAGE = "usage: plot --ladder <ladder-dir>   (writes " + LATENCY_PNG + " and "
            + GATEWAY_PNG + " into the ladder directory that scripts/ladder.sh wrote)";
    private static final int WIDTH = 900;
    private static final int HEIGHT = 560;
    private static final BasicStroke THRESHOLD_STROKE =
            new BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
    private static final Color NEWEST = new Color(0x1f77b4);
    private static final Color OLDEST = new Color(0xd62728);
    private static final Color PEAK = new Color(0x2ca02c);

    private PlotCommand() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && args[0].equals("--help")) {
            out.println(USAGE);
            return 0;
        }
        if (args.length != 2 || !args[0].equals("--ladder")) {
            err.println(USAGE);
            return 2;
        }
        System.setProperty("java.awt.headless", "true");
        try {
            Ladder ladder = Ladder.read(Path.of(args[1]));
            Map<Integer, List<PointResult>> points = ladder.resultsBySessions();
            if (points.isEmpty()) {
                err.println("plot: " + ladder.dir() + " has no run with results");
                return 1;
            }
            Path latency = ladder.dir().resolve(LATENCY_PNG);
            Path gateway = ladder.dir().resolve(GATEWAY_PNG);
            BitmapEncoder.saveBitmap(latencyChart(points), latency.toString(), BitmapFormat.PNG);
            BitmapEncoder.saveBitmap(gatewayChart(points), gateway.toString(), BitmapFormat.PNG);
            out.println(latency);
            out.println(gateway);
            return 0;
        } catch (IOException | RuntimeException e) {
            err.println("plot: " + e.getMessage());
            return 1;
        }
    }

    static XYChart latencyChart(Map<Integer, List<PointResult>> points) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Frame → partial latency vs sessions (measured window; dashed: SLO gates)")
                .xAxisTitle("sessions").yAxisTitle("latency (ms, log scale)").build();
        style(chart);
        chart.getStyler().setYAxisLogarithmic(true);
        double[] x = sessions(points);
        line(chart, "newest p50", x, mean(points, p -> p.summary().newestLatency().p50()), NEWEST, SeriesMarkers.CIRCLE);
        line(chart, "newest p95", x, mean(points, p -> p.summary().newestLatency().p95()), NEWEST, SeriesMarkers.DIAMOND);
        line(chart, "oldest p50", x, mean(points, p -> p.summary().oldestLatency().p50()), OLDEST, SeriesMarkers.CIRCLE);
        line(chart, "oldest p95", x, mean(points, p -> p.summary().oldestLatency().p95()), OLDEST, SeriesMarkers.DIAMOND);
        threshold(chart, "SLO newest p50 200", x, 200, NEWEST);
        threshold(chart, "SLO newest p95 350", x, 350, NEWEST);
        threshold(chart, "SLO oldest p50 1200", x, 1200, OLDEST);
        threshold(chart, "SLO oldest p95 1650", x, 1650, OLDEST);
        return chart;
    }

    static XYChart gatewayChart(Map<Integer, List<PointResult>> points) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title("Gateway CPU (measured window) and peak RSS vs sessions")
                .xAxisTitle("sessions").yAxisTitle("CPU (% of one core)").build();
        style(chart);
        double[] x = sessions(points);
        line(chart, "CPU mean", x, mean(points, p -> p.meanCpuPct(PointResult.GATEWAY)), NEWEST, SeriesMarkers.CIRCLE);
        line(chart, "CPU max (1 s)", x, mean(points, p -> p.maxCpuPct(PointResult.GATEWAY)), PEAK, SeriesMarkers.DIAMOND);
        XYSeries rss = line(chart, "peak RSS (MiB, right)", x,
                mean(points, p -> p.peakRssMib(PointResult.GATEWAY)), OLDEST, SeriesMarkers.SQUARE);
        chart.getStyler().setYAxisMin(0, 0.0);
        if (rss != null) {
            rss.setYAxisGroup(1);
            chart.setYAxisGroupTitle(1, "peak RSS (MiB)");
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
            chart.getStyler().setYAxisMin(1, 0.0);
        }
        return chart;
    }

    static void style(XYChart chart) {
        Styler styler = chart.getStyler();
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setLegendPosition(Styler.LegendPosition.InsideNW);
        styler.setAntiAlias(true);
        chart.getStyler().setXAxisDecimalPattern("#");
    }

    /** Adds the finite, positive points of {@code y} as a line; null (nothing added) when there are none. */
    private static XYSeries line(XYChart chart, String name, double[] x, double[] y, Color color,
                                 Marker marker) {
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(y[i]) && y[i] > 0) {
                xs.add(x[i]);
                ys.add(y[i]);
            }
        }
        if (xs.isEmpty()) {
            return null;
        }
        XYSeries series = chart.addSeries(name, xs, ys);
        series.setLineColor(color);
        series.setMarkerColor(color);
        series.setMarker(marker);
        return series;
    }

    static void threshold(XYChart chart, String name, double[] x, double ms, Color color) {
        XYSeries series = chart.addSeries(name, new double[] {x[0], x[x.length - 1]}, new double[] {ms, ms});
        series.setLineColor(color);
        series.setLineStyle(THRESHOLD_STROKE);
        series.setMarker(SeriesMarkers.NONE);
        series.setShowInLegend(false);
    }

    private static double[] sessions(Map<Integer, List<PointResult>> points) {
        return points.keySet().stream().mapToDouble(Integer::doubleValue).toArray();
    }

    private static double[] mean(Map<Integer, List<PointResult>> points, ToDoubleFunction<PointResult> value) {
        return points.values().stream()
                .mapToDouble(runs -> runs.stream().mapToDouble(value).filter(Double::isFinite).average().orElse(Double.NaN))
                .toArray();
    }
}
