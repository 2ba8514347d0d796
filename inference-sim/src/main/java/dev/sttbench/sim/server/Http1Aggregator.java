package dev.sttbench.sim.server;

import dev.sttbench.sim.SimConfig;
import dev.sttbench.sim.metrics.SimMetrics;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;

/** Aggregates HTTP/1.1 requests up to the body limit; counts the 413 that the aggregator answers itself. */
final class Http1Aggregator extends HttpObjectAggregator
{
    private final SimMetrics metrics;

    Http1Aggregator(final SimMetrics metrics)
    {
        super(SimConfig.MAX_BODY_BYTES, true);
        this.metrics = metrics;
    }

    protected void handleOversizedMessage(final ChannelHandlerContext ctx, final HttpMessage oversized) throws Exception
    {
        metrics.onRequest(Transport.HTTP_1_1, 0);
        metrics.onResponse(413);
        super.handleOversizedMessage(ctx, oversized);
    }
}
