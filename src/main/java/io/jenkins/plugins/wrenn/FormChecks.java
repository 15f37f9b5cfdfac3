package io.jenkins.plugins.wrenn;

import hudson.Util;
import hudson.model.Item;
import hudson.util.FormValidation;
import io.jenkins.plugins.wrenn.api.WrennClient;
import jenkins.model.Jenkins;

/** Form validation shared by the build step's and the Pipeline steps' descriptors. */
final class FormChecks {

    private FormChecks() {}

    /** Checks the item's configure permission, or administer when there is no item. */
    static void checkConfigure(Item item) {
        if (item == null) {
            Jenkins.get().checkPermission(Jenkins.ADMINISTER);
        } else {
            item.checkPermission(Item.CONFIGURE);
        }
    }

    /** A capsule id: required; variables are left to build time; otherwise no '/' or white space. */
    static FormValidation capsule(Item item, String value) {
        checkConfigure(item);
        String id = Util.fixEmptyAndTrim(value);
        if (id == null) {
            return FormValidation.error(Messages.WrennExecBuilder_CapsuleRequired());
        }
        if (id.contains("$")) {
            return FormValidation.ok();
        }
        try {
            WrennClient.checkCapsuleId(id);
            return FormValidation.ok();
        } catch (IllegalArgumentException e) {
            return FormValidation.error(e.getMessage());
        }
    }

    /** A command: required. */
    static FormValidation command(Item item, String value) {
        checkConfigure(item);
        return Util.fixEmptyAndTrim(value) == null
                ? FormValidation.error(Messages.WrennExecBuilder_CommandRequired())
                : FormValidation.ok();
    }
}
