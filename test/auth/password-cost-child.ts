// Run by test/auth/password-cost.test.ts through tsx (as every process a suite starts is run): prints
// the PHC string of one Argon2id hash, made the way the server makes them.
import { hashPassword } from "../../engine/auth/passwords.js";

console.log(await hashPassword("a long enough password"));
