package io.jenkins.plugins.wrenn.exec;

/**
 * Text written into the log just before a chunk of standard error, so a log viewer can tell the
 * two streams apart (Jenkins: an invisible console note). The chunk itself is written unchanged.
 */
@FunctionalInterface
public interface StderrMarker {

    /** Writes nothing: standard error looks like standard output. */
    StderrMarker NONE = chunk -> "";

    /**
     * @param chunk the (already masked) standard error text about to be written
     * @return what to write before it; never null
     */
    String before(String chunk);
}
