package dev.sttbench.loadgen.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference stub and the reference PCM reproduce every golden vector of the shared contract. */
class StubReferenceTest {
    static List<GoldenVectors.Vector> sharedVectors() throws Exception {
        String path = System.getProperty("golden.vectors");
        assertNotNull(path, "system property golden.vectors must name the shared golden-vectors.json");
        return GoldenVectors.load(Path.of(path));
    }

    @Test
    void everyGoldenVectorIsReproducedExactly() throws Exception {
        List<GoldenVectors.Vector> vectors = sharedVectors();
        assertFalse(vectors.isEmpty());
        for (GoldenVectors.Vector vector : vectors) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (long seq = vector.firstSeq(); seq <= vector.lastSeq(); seq++) {
                body.write(ConformanceChecks.frame(vector.sessionId(), seq));
            }
            assertEquals(vector.expect(), StubReference.compute(body.toByteArray(), vector.cpuPasses()), vector.toString());
        }
    }

    @Test
    void theJarBundlesTheSameVectors() throws Exception {
        assertEquals(sharedVectors(), GoldenVectors.bundled());
    }
}
