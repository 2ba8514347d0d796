package dev.sttbench.gateway.inference;

import java.nio.ByteBuffer;
import java.util.concurrent.Flow;

/**
 * Publishes a frozen batch as the request body straight from the session's ring: one view per audio chunk the
 * batch spans, no copy of the audio. Each subscription gets its own duplicates so a resend starts from the
 * beginning.
 */
final class RingSlicePublisher implements Flow.Publisher<ByteBuffer>
{
    private final ByteBuffer[] views;

    /** Takes duplicates of {@code views[0, count)} now: the caller reuses its views for the next batch. */
    RingSlicePublisher(final ByteBuffer[] views, final int count)
    {
        this.views = new ByteBuffer[count];
        for (int i = 0; i < count; i++)
        {
            this.views[i] = views[i].duplicate();
        }
    }

    public void subscribe(final Flow.Subscriber<? super ByteBuffer> subscriber)
    {
        subscriber.onSubscribe(new Subscription(subscriber, views));
    }

    private static final class Subscription implements Flow.Subscription
    {
        private final Flow.Subscriber<? super ByteBuffer> subscriber;
        private final ByteBuffer[] views;
        private int next;
        private long demand;
        private boolean emitting;
        private boolean done;

        Subscription(final Flow.Subscriber<? super ByteBuffer> subscriber, final ByteBuffer[] views)
        {
            this.subscriber = subscriber;
            this.views = new ByteBuffer[views.length];
            for (int i = 0; i < views.length; i++)
            {
                this.views[i] = views[i].duplicate();
            }
        }

        public synchronized void request(final long n)
        {
            if (done)
            {
                return;
            }
            if (n <= 0)
            {
                done = true;
                subscriber.onError(new IllegalArgumentException("non-positive demand: " + n));
                return;
            }
            demand = Math.min(Long.MAX_VALUE - 1, demand + n);
            // request() may be called from onNext: the outer call keeps emitting.
            if (emitting)
            {
                return;
            }
            emitting = true;
            while (demand > 0 && next < views.length)
            {
                demand--;
                subscriber.onNext(views[next++]);
            }
            emitting = false;
            if (next == views.length && !done)
            {
                done = true;
                subscriber.onComplete();
            }
        }

        public synchronized void cancel()
        {
            done = true;
        }
    }
}
