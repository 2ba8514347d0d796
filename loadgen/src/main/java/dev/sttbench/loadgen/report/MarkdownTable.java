package dev.sttbench.loadgen.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A GitHub-flavoured markdown table; numeric columns are right-aligned. */
public final class MarkdownTable {
    private final String[] header;
    private final boolean[] numeric;
    private final List<String[]> rows = new ArrayList<>();

    /** A header cell that starts with {@code >} marks a right-aligned (numeric) column; the mark is not shown. */
    public MarkdownTable(String... header) {
        this.header = new String[header.length];
        this.numeric = new boolean[header.length];
        for (int i = 0; i < header.length; i++) {
            numeric[i] = header[i].startsWith(">");
            this.header[i] = numeric[i] ? header[i].substring(1) : header[i];
        }
    }

    public MarkdownTable row(Object... cells) {
        if (cells.length != header.length) {
            throw new IllegalArgumentException("row has " + cells.length + " cells, header " + header.length);
        }
        String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            row[i] = String.valueOf(cells[i]).replace("|", "\\|");
        }
        rows.add(row);
        return this;
    }

    public String render() {
        StringBuilder out = new StringBuilder();
        line(out, header);
        out.append('|');
        for (boolean right : numeric) {
            out.append(right ? "---:|" : "---|");
        }
        out.append('\n');
        rows.forEach(r -> line(out, r));
        return out.toString();
    }

    private static void line(StringBuilder out, String[] cells) {
        out.append('|');
        for (String cell : cells) {
            out.append(' ').append(cell).append(" |");
        }
        out.append('\n');
    }

    /** {@code value} with {@code decimals} decimals, or {@code n/a} when it is not a finite number. */
    public static String number(double value, int decimals) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%." + decimals + "f", value) : "n/a";
    }
}
