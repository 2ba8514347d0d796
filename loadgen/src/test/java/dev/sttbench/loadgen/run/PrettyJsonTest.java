package dev.sttbench.loadgen.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.cliftonlabs.json_simple.Jsoner;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrettyJsonTest {
    @Test
    void writesIndentedJsonInInsertionOrderWithEmptyContainersInline() throws Exception {
        Map<String, Object> sample = new LinkedHashMap<>();
        sample.put("message", "say \"hi\"\n");
        sample.put("inference_status", null);
        sample.put("retryable", true);
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("url", "ws://127.0.0.1:1/ws/stt");
        summary.put("p50_ms", BigDecimal.valueOf(150123, 3));
        summary.put("partials", 7L);
        summary.put("counts", new ArrayList<>());
        summary.put("samples", List.of(sample));
        String json = PrettyJson.write(summary);
        assertEquals("""
                {
                  "url": "ws://127.0.0.1:1/ws/stt",
                  "p50_ms": 150.123,
                  "partials": 7,
                  "counts": [],
                  "samples": [
                    {
                      "message": "say \\"hi\\"\\n",
                      "inference_status": null,
                      "retryable": true
                    }
                  ]
                }""", json);
        assertEquals(Jsoner.deserialize(Jsoner.serialize(summary)), Jsoner.deserialize(json));
    }
}
