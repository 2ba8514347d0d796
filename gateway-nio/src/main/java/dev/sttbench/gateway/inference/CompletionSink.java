package dev.sttbench.gateway.inference;

/** Takes finished exchanges from HTTP client threads to the event loop that owns their caller. */
public interface CompletionSink
{
    void post(InferenceExchange exchange);
}
