import { Type } from 'typebox';

// Bodies: fields are strings, nothing else (no arrays, objects or numbers). Unknown fields
// are allowed and ignored; the handlers read only the fields named here.
const email = Type.String({ description: 'The email address, as the user typed it' });
const password = Type.String({ description: 'The password, verified exactly as sent' });
const newPassword = Type.String({ description: 'The new password' });
const resetToken = Type.String({ description: 'The token from POST /reset_password' });

export const CredentialsBody = Type.Object({ email, password });
export const EmailBody = Type.Object({ email });
export const ResetPasswordBody = Type.Object({ email, reset_token: resetToken, new_password: newPassword });
export const ChangePasswordBody = Type.Object({ password, new_password: newPassword });

// Replies list exactly the fields they may carry: the serializer drops anything else.
export const MessageReply = Type.Object({ message: Type.String() });
export const EmailMessageReply = Type.Object({ email: Type.String(), message: Type.String() });
export const EmailReply = Type.Object({ email: Type.String() });
export const ResetTokenReply = Type.Object({ email: Type.String(), reset_token: Type.String() });
export const StatusReply = Type.Object({ status: Type.String() });

/** What session-API routes accept. Flask read `request.form`; JSON is accepted too. */
export const FORM_OR_JSON = ['application/x-www-form-urlencoded', 'application/json'];
