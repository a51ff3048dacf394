package io.zentinel.sentinel.lua.supervisor.bench;

/**
 * Correlation ids of the load generator: {@code L<connection>-<sequence>}, always
 * {@value #LENGTH} characters (like the proxy's generated 11-character ids, a fixed length), so
 * that a body event's buffer can be reused with only its id overwritten.
 */
final class LoadIds {
    static final int LENGTH = 14;
    private static final int SEQUENCE_DIGITS = 10;

    private LoadIds() {
    }

    /** The id of event {@code sequence} on connection {@code connection} (0..99). */
    static String id(int connection, long sequence) {
        if (connection < 0 || connection > 99 || sequence < 0 || sequence >= 10_000_000_000L) {
            throw new IllegalArgumentException("connection 0..99 and sequence 0..9999999999 (was "
                    + connection + ", " + sequence + ")");
        }
        char[] id = new char[LENGTH];
        id[0] = 'L';
        id[1] = (char) ('0' + connection / 10);
        id[2] = (char) ('0' + connection % 10);
        id[3] = '-';
        long s = sequence;
        for (int i = LENGTH - 1; i >= LENGTH - SEQUENCE_DIGITS; i--) {
            id[i] = (char) ('0' + s % 10);
            s /= 10;
        }
        return new String(id);
    }
}
