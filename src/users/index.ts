export { createUserSchema, USER_FIELDS, UserRepository, userView, type CreateUserInput, type User, type UserView } from './repository.js';
export { SignIn, type SignInOutcome } from './sign-in.js';
