package dev.sttbench.loadgen.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplesCsvTest {
    @Test
    void writesTheSuiteHeaderAndMillisecondRows() throws Exception {
        StringWriter out = new StringWriter();
        SamplesCsv.write(out, List.of(
                new Sample(7, 2, 4, 3, "now", 1920, 12_345, 67_890, 1_200, 250_500),
                new Sample(0, 1, 1, 1, "a,b", 640, 5, 1_000_001, 0, 999)));
        assertEquals("sample_index,session_id,oldest_frame_seq,newest_frame_seq,frames,transcript,audio_bytes,"
                + "newest_latency_ms,oldest_latency_ms,flush_lateness_ms,received_ms\n"
                + "0,7,2,4,3,now,1920,12.345,67.890,1.200,250.500\n"
                + "1,0,1,1,1,\"a,b\",640,0.005,1000.001,0.000,0.999\n", out.toString());
    }
}
