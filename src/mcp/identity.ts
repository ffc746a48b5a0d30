/** The server's MCP identity; a module of its own so terminal commands need not load the SDK. */
import { packageVersion } from "../package-root.js";

export const SERVER_NAME = "ralph-workflow";

export const SERVER_VERSION = packageVersion();
