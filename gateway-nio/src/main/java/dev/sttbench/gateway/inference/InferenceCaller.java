package dev.sttbench.gateway.inference;

/** Whoever sent a batch; its outcome is handed back to it on the thread that owns it. */
public interface InferenceCaller
{
    void onInferenceCompletion(InferenceExchange exchange);
}
