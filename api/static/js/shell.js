// A page with nothing to load yet: only the header (who is logged in, nav by role).
import { initShell } from "./common.js";

initShell();
