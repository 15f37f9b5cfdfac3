package hudson;

public class MarkupText {
    protected MarkupText() {}

    public final int length() {
        throw new UnsupportedOperationException("declaration only");
    }

    public void addMarkup(int startPos, int endPos, String startTag, String endTag) {
        throw new UnsupportedOperationException("declaration only");
    }
}
