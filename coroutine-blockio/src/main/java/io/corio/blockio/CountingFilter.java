package io.corio.blockio;

/**
 * A driver that counts the requests passing through it to the driver it wraps
 * ({@link BlockDriver#counting}), by kind, with the bytes they moved; everything else it
 * passes on unchanged. Safe for coroutines of any number of contexts.
 */
public interface CountingFilter extends BlockDriver {

    /**
     * The counts so far. Each number is exact at some moment during the call, but the
     * snapshot is not atomic: requests finishing meanwhile may show in some numbers only.
     */
    Counts counts();

    /**
     * The counts of one kind of request.
     *
     * @param requests how many finished, failed or not
     * @param bytes the bytes of those that succeeded: read or written for reads, writes,
     *     discards and zeroings; covered by the answer for block status; 0 for flushes
     * @param errors how many failed (a {@link BlockException} or a misuse exception)
     */
    record OpCount(long requests, long bytes, long errors) {
        @Override
        public String toString() {
            return requests + " req, " + bytes + " B" + (errors > 0 ? ", " + errors + " err" : "");
        }
    }

    /** The counts of each kind of request, at one moment. */
    record Counts(OpCount read, OpCount write, OpCount flush, OpCount discard,
            OpCount writeZeroes, OpCount blockStatus) {

        /** All requests of all kinds. */
        public long requests() {
            return read.requests() + write.requests() + flush.requests() + discard.requests()
                    + writeZeroes.requests() + blockStatus.requests();
        }

        @Override
        public String toString() {
            return "read " + read + "; write " + write + "; flush " + flush + "; discard "
                    + discard + "; writeZeroes " + writeZeroes + "; blockStatus " + blockStatus;
        }
    }
}
