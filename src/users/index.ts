export { hashPassword, verifyPassword } from './password.js';
export { createUserSchema, normaliseEmail, PASSWORD_MIN_LENGTH, UserRepository, userView, type CreateUserInput, type User, type UserView } from './repository.js';
export { SignIn, type SignInAttempt, type SignInOutcome } from './sign-in.js';
