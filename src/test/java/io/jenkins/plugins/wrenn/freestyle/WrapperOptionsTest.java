package io.jenkins.plugins.wrenn.freestyle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** The freestyle build environment's capsule options as jobs saved them. */
class WrapperOptionsTest {

    @Test
    void keepReadsTheOldCheckBoxAsAlways() {
        WrennCapsuleWrapper wrapper = new WrennCapsuleWrapper();
        wrapper.setKeep("true");
        assertEquals("always", wrapper.getKeep(), "a job saved with the old check box reads as always");
        wrapper.setKeep("");
        assertNull(wrapper.getKeep());
    }
}
