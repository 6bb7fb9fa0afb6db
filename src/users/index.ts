export { createUserSchema, setPasswordSchema, UserRepository, userView, type CreateUserInput, type SetPasswordInput, type User, type UserView } from './repository.js';
export { SignIn, type SignInOutcome } from './sign-in.js';
