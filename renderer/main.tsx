import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getHost } from './platform/host';
import { App } from './ui/App';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App host={getHost()} />
  </StrictMode>,
);
