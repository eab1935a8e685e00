// 页面不存在: the navigation (by role when someone is logged in) and a link home; no data.
import { initShell } from "./common.js";

initShell({ required: false });
