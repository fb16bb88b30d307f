// Tests run on Node 20; the SDK's notice about its future Node floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
