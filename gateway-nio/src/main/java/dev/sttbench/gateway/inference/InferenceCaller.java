package dev.sttbench.gateway.inference;

/** Whoever sent a batch; its completion is handed back to it on the thread that owns it. */
public interface InferenceCaller
{
    void onInferenceCompletion(InferenceCompletion completion);
}
