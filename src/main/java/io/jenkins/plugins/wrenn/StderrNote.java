package io.jenkins.plugins.wrenn;

import hudson.Extension;
import hudson.MarkupText;
import hudson.console.ConsoleAnnotationDescriptor;
import hudson.console.ConsoleAnnotator;
import hudson.console.ConsoleNote;
import io.jenkins.plugins.wrenn.exec.StderrMarker;
import java.io.IOException;

/**
 * Marks a chunk of a remote command's standard error in the build log. The note is invisible in
 * plain-text logs; the HTML console shows the chunk in the error colour ({@code style.css}). One note
 * covers a whole chunk: it knows how many more lines the chunk spans, which keeps the log small
 * for commands that write much to standard error.
 */
public class StderrNote extends ConsoleNote<Object> {

    private static final long serialVersionUID = 1L;

    private static final String START = "<span class=\"wrenn-stderr\">";
    private static final String END = "</span>";

    /** What the engine writes before each chunk of standard error. */
    static final StderrMarker MARKER = chunk -> {
        try {
            return new StderrNote(linesAfterFirst(chunk)).encode();
        } catch (IOException e) {
            // A note that cannot be encoded only loses the colour, never output.
            return "";
        }
    };

    private final int moreLines;

    StderrNote(int moreLines) {
        this.moreLines = moreLines;
    }

    /** How many lines after the one it starts on a chunk reaches into. */
    static int linesAfterFirst(String chunk) {
        int newlines = (int) chunk.chars().filter(c -> c == '\n').count();
        return chunk.endsWith("\n") ? newlines - 1 : newlines;
    }

    @Override
    public ConsoleAnnotator<Object> annotate(Object context, MarkupText text, int charPos) {
        text.addMarkup(charPos, text.length(), START, END);
        return moreLines > 0 ? new FollowingLines(moreLines) : null;
    }

    /** Marks the remaining lines of the same chunk. */
    static final class FollowingLines extends ConsoleAnnotator<Object> {

        private static final long serialVersionUID = 1L;

        private final int left;

        FollowingLines(int left) {
            this.left = left;
        }

        @Override
        public ConsoleAnnotator<Object> annotate(Object context, MarkupText text) {
            text.addMarkup(0, text.length(), START, END);
            return left > 1 ? new FollowingLines(left - 1) : null;
        }
    }

    /** Registers the note, and with it {@code style.css}. */
    @Extension
    public static final class DescriptorImpl extends ConsoleAnnotationDescriptor {

        @Override
        public String getDisplayName() {
            return Messages.StderrNote_DisplayName();
        }
    }
}
