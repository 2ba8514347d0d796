package dev.sttbench.loadgen.run;

import com.github.cliftonlabs.json_simple.Jsoner;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Writes maps, lists, strings, numbers, booleans and null as indented JSON, empty containers on one line. */
public final class PrettyJson {
    private static final String INDENT = "  ";

    private PrettyJson() {
    }

    public static String write(Object value) {
        StringBuilder out = new StringBuilder(4096);
        write(out, value, 0);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, int depth) {
        if (value instanceof Map<?, ?> map) {
            writeContainer(out, map.entrySet().iterator(), map.isEmpty(), '{', '}', depth);
        } else if (value instanceof List<?> list) {
            writeContainer(out, list.iterator(), list.isEmpty(), '[', ']', depth);
        } else if (value instanceof String text) {
            out.append('"').append(Jsoner.escape(text)).append('"');
        } else {
            // Numbers (BigDecimal keeps its 3 decimals), booleans and null print as themselves.
            out.append(value);
        }
    }

    private static void writeContainer(StringBuilder out, Iterator<?> items, boolean empty, char open, char close,
                                       int depth) {
        out.append(open);
        if (empty) {
            out.append(close);
            return;
        }
        while (items.hasNext()) {
            out.append('\n').append(INDENT.repeat(depth + 1));
            Object item = items.next();
            if (item instanceof Map.Entry<?, ?> entry) {
                out.append('"').append(Jsoner.escape(String.valueOf(entry.getKey()))).append("\": ");
                write(out, entry.getValue(), depth + 1);
            } else {
                write(out, item, depth + 1);
            }
            if (items.hasNext()) {
                out.append(',');
            }
        }
        out.append('\n').append(INDENT.repeat(depth)).append(close);
    }
}
