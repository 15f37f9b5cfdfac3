package org.kohsuke.accmod.restrictions;

public class NoExternalUse extends DoNotUse {}
