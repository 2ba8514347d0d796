package dev.sttbench.gateway.inference;

/** Takes completions from HTTP client threads to the event loop that owns the caller. */
public interface CompletionSink
{
    void post(InferenceCompletion completion);
}
