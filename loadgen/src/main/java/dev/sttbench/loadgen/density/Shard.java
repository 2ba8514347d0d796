package dev.sttbench.loadgen.density;

import dev.sttbench.loadgen.cli.UsageException;

/**
 * Which part of a run one process drives: shard {@code index} of {@code count} takes a contiguous block of
 * the connection ids, the first {@code total % count} shards one more than the rest.
 */
record Shard(int index, int count) {
    /** The whole run in one process. */
    static final Shard WHOLE = new Shard(0, 1);

    Shard {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("shard " + index + "/" + count);
        }
    }

    /** Parses the hidden {@code --shard k/P} a parent passes to its children. */
    static Shard parse(String text) throws UsageException {
        int slash = text.indexOf('/');
        try {
            return new Shard(Integer.parseInt(text.substring(0, slash)), Integer.parseInt(text.substring(slash + 1)));
        } catch (RuntimeException e) {
            throw new UsageException("density: --shard must be k/P with 0 <= k < P, got '" + text + "'");
        }
    }

    /** Connections of this shard out of {@code total}. */
    int size(int total) {
        return total / count + (index < total % count ? 1 : 0);
    }

    /** Id of this shard's first connection. */
    int firstId(int total) {
        return index * (total / count) + Math.min(index, total % count);
    }

    /** Shard {@code other} of the same split. */
    Shard sibling(int other) {
        return new Shard(other, count);
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }
}
