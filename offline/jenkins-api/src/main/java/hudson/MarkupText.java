package hudson;

public class MarkupText {
    protected MarkupText() {}

    public final native int length();

    public native void addMarkup(int startPos, int endPos, String startTag, String endTag);
}
