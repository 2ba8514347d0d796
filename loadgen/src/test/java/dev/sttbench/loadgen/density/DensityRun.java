package dev.sttbench.loadgen.density;

import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import dev.sttbench.loadgen.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One {@code loadgen density} run through {@link Main}, its exit code, JSON and stderr. */
record DensityRun(int exit, JsonObject json, String stdout, String stderr) {
    static DensityRun of(String... args) throws JsonException {
        List<String> all = new ArrayList<>(List.of("density"));
        all.addAll(List.of(args));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String stdout = out.toString(StandardCharsets.UTF_8);
        JsonObject json = stdout.isBlank() ? null : (JsonObject) Jsoner.deserialize(stdout);
        return new DensityRun(exit, json, stdout, err.toString(StandardCharsets.UTF_8));
    }

    /** A number at a dotted path, e.g. {@code failures.http_503}. */
    long number(String path) {
        return ((BigDecimal) at(path)).longValueExact();
    }

    double decimal(String path) {
        return ((BigDecimal) at(path)).doubleValue();
    }

    Object at(String path) {
        Object value = json;
        for (String key : path.split("\\.")) {
            value = ((JsonObject) value).get(key);
        }
        return value;
    }

    /** What to show when an assertion fails. */
    String why() {
        return stderr + "\n" + stdout;
    }
}
