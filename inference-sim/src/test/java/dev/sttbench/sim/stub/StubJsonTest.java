package dev.sttbench.sim.stub;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StubJsonTest
{
    @Test
    void writesDecimalsAtEveryMagnitude()
    {
        final long[] values = {0, 1, 9, 10, 99, 100, 4294967295L, 999_999_999_999L, Long.MAX_VALUE};
        for (final long value : values)
        {
            final ByteBuf out = Unpooled.buffer();
            StubJson.writeDecimal(out, value);
            assertEquals(Long.toString(value), out.toString(StandardCharsets.US_ASCII));
        }
    }

    @Test
    void encodesTheChecksumUnsignedAndStaysWithinTheSizeBound()
    {
        final StubResult result = new StubResult();
        result.rms = 2425.5023191083533;
        result.zeroCrossings = Long.MAX_VALUE;
        result.checksum = -1;
        result.samples = Long.MAX_VALUE;
        result.audioBytes = Long.MAX_VALUE;
        final ByteBuf out = Unpooled.buffer();
        StubJson.encode(result, out);
        final String json = out.toString(StandardCharsets.US_ASCII);
        assertTrue(json.contains("\"checksum\":4294967295,"), json);
        assertTrue(json.startsWith("{\"rms\":2425.5023191083533,"), json);
        assertTrue(out.readableBytes() <= StubJson.MAX_LENGTH, json);
    }
}
