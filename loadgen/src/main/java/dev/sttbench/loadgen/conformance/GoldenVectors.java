package dev.sttbench.loadgen.conformance;

import com.github.cliftonlabs.json_simple.JsonArray;
import com.github.cliftonlabs.json_simple.JsonException;
import com.github.cliftonlabs.json_simple.JsonObject;
import com.github.cliftonlabs.json_simple.Jsoner;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** golden-vectors.json: batches of the reference PCM and the exact stub response each must produce. */
final class GoldenVectors {
    /** Bundled into the jar from the shared contract at build time. */
    static final String RESOURCE = "/golden-vectors.json";

    record Vector(int sessionId, long firstSeq, long lastSeq, int cpuPasses, StubResult expect) {
    }

    private GoldenVectors() {
    }

    static List<Vector> load(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return parse(reader);
        }
    }

    static List<Vector> bundled() throws IOException {
        InputStream stream = GoldenVectors.class.getResourceAsStream(RESOURCE);
        if (stream == null) {
            throw new IOException("golden-vectors.json is not bundled in the jar");
        }
        try (Reader reader = new InputStreamReader(stream, StandardCharsets.UTF_8)) {
            return parse(reader);
        }
    }

    static List<Vector> parse(Reader reader) throws IOException {
        Object root;
        try {
            root = Jsoner.deserialize(reader);
        } catch (JsonException e) {
            throw new IOException("golden vectors are not JSON: " + e.getMessage(), e);
        }
        List<Vector> vectors = new ArrayList<>();
        for (Object item : (JsonArray) root) {
            JsonObject vector = (JsonObject) item;
            JsonObject expect = (JsonObject) vector.get("expect");
            vectors.add(new Vector(
                    number(vector, "session_id").intValueExact(),
                    number(vector, "first_seq").longValueExact(),
                    number(vector, "last_seq").longValueExact(),
                    number(vector, "cpu_passes").intValueExact(),
                    new StubResult(
                            number(expect, "rms").doubleValue(),
                            number(expect, "zero_crossings").longValueExact(),
                            number(expect, "checksum").longValueExact(),
                            number(expect, "samples").longValueExact(),
                            (String) expect.get("transcript"),
                            number(expect, "audio_bytes").longValueExact())));
        }
        return vectors;
    }

    private static BigDecimal number(JsonObject object, String key) {
        return (BigDecimal) object.get(key);
    }

    /** The vector for frames {@code first..last} of {@code sessionId} at {@code cpuPasses}, if listed. */
    static Optional<Vector> find(List<Vector> vectors, int sessionId, long first, long last, int cpuPasses) {
        return vectors.stream()
                .filter(v -> v.sessionId() == sessionId && v.firstSeq() == first && v.lastSeq() == last
                        && v.cpuPasses() == cpuPasses)
                .findFirst();
    }
}
