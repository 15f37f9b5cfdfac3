package hudson;

import java.io.Serializable;

public final class FilePath implements Serializable {
    private static final long serialVersionUID = 1L;

    private FilePath() {}
}
