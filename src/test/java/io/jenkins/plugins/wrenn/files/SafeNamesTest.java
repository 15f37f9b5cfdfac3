package io.jenkins.plugins.wrenn.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SafeNamesTest {

    private static void refusedFile(String name) {
        TransferException e = assertThrows(TransferException.class, () -> new SafeNames().file(name));
        assertTrue(e.getMessage().contains(name), e.getMessage());
    }

    @Test
    void namesInsideAreKept() throws Exception {
        SafeNames names = new SafeNames();
        assertEquals("a/b.txt", names.file("./a/b.txt"));
        assertEquals("a/b", names.file("a//./b"));
        assertEquals("..hidden", names.file("..hidden"));
    }

    @Test
    void namesLeavingTheDirectoryAreRefused() {
        refusedFile("../etc/passwd");
        refusedFile("a/../../b");
        refusedFile("/etc/passwd");
        refusedFile("C:/Windows/x");
        refusedFile("a\\..\\..\\b");
        refusedFile(".");
    }

    @Test
    void linksInsideAreKeptAndLinksOutAreRefused() throws Exception {
        SafeNames names = new SafeNames();
        assertEquals("lib/current", names.link("lib/current", "../versions/1.0"));
        assertEquals("same", names.link("same", "."));
        for (String target : new String[] {"/etc", "../x", "a/../../x", "sub/../../..", "C:/x"}) {
            TransferException e =
                    assertThrows(TransferException.class, () -> new SafeNames().link("link", target), target);
            assertTrue(e.getMessage().contains("'link' -> '" + target + "'"), e.getMessage());
        }
    }

    @Test
    void aLinkMayNotLeadOutThroughAnotherLink() throws Exception {
        // d -> . is inside; e -> d/.. resolves lexically to '.', but through d it is the parent.
        SafeNames names = new SafeNames();
        names.link("d", ".");
        assertThrows(TransferException.class, () -> names.link("e", "d/.."));

        // The same pair in the other order.
        SafeNames reversed = new SafeNames();
        reversed.link("e", "d/..");
        TransferException e = assertThrows(TransferException.class, () -> reversed.link("d", "."));
        assertTrue(e.getMessage().contains("through the link d"), e.getMessage());
    }

    @Test
    void noFileIsWrittenThroughALink() throws Exception {
        SafeNames names = new SafeNames();
        names.link("out", "sub");
        TransferException e = assertThrows(TransferException.class, () -> names.file("out/x"));
        assertTrue(e.getMessage().contains("symbolic link 'out'"), e.getMessage());
    }

    @Test
    void namesAreComparedAsACaseInsensitiveFileSystemFindsThem() throws Exception {
        // On macOS and Windows, d1/d2/a is the link d1/d2/A, and a decomposed é is the composed one.
        SafeNames names = new SafeNames();
        names.link("d1/d2/A", "../..");
        TransferException e = assertThrows(TransferException.class, () -> names.link("d1/d2/a/x", "../../.."));
        assertTrue(e.getMessage().contains("symbolic link 'd1/d2/A'"), e.getMessage());
        names.link("caf\u00e9", ".");
        assertThrows(TransferException.class, () -> names.file("CAFE\u0301/x"));
    }

    @Test
    void aHardLinkOnlyRepeatsAFileOfTheSameArchive() throws Exception {
        SafeNames names = new SafeNames();
        names.file("a");
        assertEquals("b", names.hardLink("b", "a"));
        assertThrows(TransferException.class, () -> names.hardLink("c", "/etc/shadow"));
        assertThrows(TransferException.class, () -> names.hardLink("c", "elsewhere"));
    }
}
