import { useState } from 'react';
import { useDispatch, useSelector } from 'react-redux';
import { login } from './authSlice.js';

export default function LoginPage() {
  const dispatch = useDispatch();
  const { status, error } = useSelector((s) => s.auth);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e) => {
    e.preventDefault();
    dispatch(login({ email, password }));
  };
  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand big">
          <span className="logo" aria-hidden="true">D</span>
          <span>Digital Enterprise</span>
        </div>
        <h1 id="login-title">Sign in</h1>
        <p className="subtitle">Your agents, tasks and workflows in one place.</p>
        {error && (
          <div className="alert" role="alert">
            {error}
          </div>
        )}
        <label>
          Email
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button className="button primary" type="submit" disabled={status === 'loading'}>
          {status === 'loading' ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
